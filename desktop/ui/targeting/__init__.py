"""The targeting screens (识别、退出、监测, 四进七不进, 评分, 抽查, 大数据比对, 今日待办).

They only arrange what ``desktop.core.targeting`` computes; every read and write runs on the worker.
"""
