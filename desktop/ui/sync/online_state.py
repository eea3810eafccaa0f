"""What the app knows about online sync, and the sentences it shows for it.

Honesty rules: "已同步" appears only when the last attempt ended with the server acknowledging
everything AND nothing has been changed since; otherwise the line says when the last
acknowledged exchange was, how many changes are waiting, and — after a failure — why, in one
sentence, and when the next attempt is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from desktop.core.i18n import _

# outcome of the last attempt in this session
NEVER = ""
SYNCED = "synced"
UNREACHABLE = "unreachable"
REFUSED = "refused"  # the server answered and refused (a bundle, our device, the address)
INCOMPLETE = "incomplete"  # answered, but something is held until an earlier bundle arrives
CANCELLED = "cancelled"
NOT_ENROLLED = "not_enrolled"
BUSY = "busy"  # a USB exchange was running; tried again shortly


@dataclass(frozen=True)
class OnlineState:
    server: str = ""
    auto: bool = True
    enrolled: bool = True
    running: bool = False
    outcome: str = NEVER
    message: str = ""  # the last attempt's reason, a sentence from the client or server
    last_ok: str | None = None  # ISO time of the last acknowledged exchange
    pending: int = 0  # changes the county has not acknowledged
    next_at: float | None = None  # epoch seconds of the next automatic attempt

    def with_(self, **changes: object) -> OnlineState:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def synced(self) -> bool:
        return self.outcome == SYNCED and self.pending == 0 and not self.running


def when(iso: str | None, now: datetime | None = None) -> str:
    """A short local time: 今天 14:32 / 昨天 14:32 / 11-26 14:32 / 2025-11-26."""
    if not iso:
        return _("从未成功")
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    now = now or datetime.now().astimezone()
    days = (now.date() - moment.date()).days
    clock = moment.strftime("%H:%M")
    if days == 0:
        return _("今天 {time}").format(time=clock)
    if days == 1:
        return _("昨天 {time}").format(time=clock)
    if moment.year == now.year:
        return moment.strftime("%m-%d ") + clock
    return moment.strftime("%Y-%m-%d")


def wait_text(next_at: float | None, now: float) -> str:
    """How long until the next automatic attempt: "20 秒后" / "5 分钟后"."""
    if next_at is None:
        return ""
    seconds = max(0, round(next_at - now))
    if seconds < 60:
        return _("{n} 秒后").format(n=seconds)
    return _("{n} 分钟后").format(n=(seconds + 59) // 60)


FAILED = (UNREACHABLE, REFUSED, INCOMPLETE)


def status_sentence(state: OnlineState, now: float, clock: datetime | None = None) -> str:
    """The one line for the status bar and the top of the online tab."""
    if not state.server:
        return _("还没有设置县服务器地址，可以在“同步 → 在线同步”里设置。")
    if not state.enrolled:
        return _("本机还没有登记到县里，登记后才能在线同步。")
    if state.running:
        return _("正在与县服务器同步…")
    last = when(state.last_ok, clock)
    if state.synced:
        return _("已同步：县服务器已确认全部修改（{time}）。").format(time=last)
    waiting = (
        _("{n} 条修改在本机等待上报").format(n=state.pending)
        if state.pending
        else _("本机没有等待上报的修改")
    )
    wait = wait_text(state.next_at, now) if state.auto else ""
    if not wait:
        retry = ""
    elif state.outcome in FAILED:
        retry = _("{wait}自动重试").format(wait=wait)
    else:
        retry = _("{wait}自动同步").format(wait=wait)
    if state.outcome == BUSY:
        return _("正在用 U 盘交换，稍后再与县服务器同步。")
    if state.outcome == UNREACHABLE:
        text = _("连不上县服务器，{waiting}；上次成功同步：{time}").format(
            waiting=waiting, time=last
        )
    elif state.outcome in (REFUSED, INCOMPLETE):
        text = _("县服务器没有全部接收：{reason} {waiting}；上次成功同步：{time}").format(
            reason=state.message, waiting=waiting, time=last
        )
    elif state.outcome == CANCELLED:
        text = _("同步已取消，{waiting}；上次成功同步：{time}").format(waiting=waiting, time=last)
    else:
        text = _("{waiting}；上次成功同步：{time}").format(waiting=waiting, time=last)
    if retry:
        return _("{text}，{retry}。").format(text=text, retry=retry)
    return _("{text}。").format(text=text)


def short_status(state: OnlineState) -> tuple[str, str]:
    """A few words for the main window's status bar and their colour."""
    if not state.server:
        return "", ""
    if not state.enrolled:
        return _("在线同步：本机未登记"), "#b26a00"
    if state.running:
        return _("正在与县服务器同步…"), "#1565c0"
    if state.synced:
        return _("已同步（{time}）").format(time=when(state.last_ok)), "#2e7d32"
    if state.outcome == UNREACHABLE:
        return _("连不上县服务器（稍后自动重试）"), "#c62828"
    if state.outcome in (REFUSED, INCOMPLETE):
        return _("县服务器拒收了部分数据"), "#c62828"
    return _("上次同步：{time}").format(time=when(state.last_ok)), "#b26a00"


def step_text(step: str, done: int, total: int) -> str:
    """The line above the progress bar: which step, and bytes for the current bundle."""
    if step == "upload":
        return _("正在上报第 {n}/{total} 个数据包…").format(n=min(done + 1, total), total=total)
    if step == "sending":
        return _("正在上报：{done} / {total}").format(done=size_text(done), total=size_text(total))
    if step == "download":
        return _("正在下载县里的数据…")
    if step == "receiving":
        return _("正在下载：{done} / {total}").format(
            done=size_text(done), total=size_text(total) if total else "?"
        )
    return _("正在连接县服务器…")


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"
