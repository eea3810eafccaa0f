"""The demo county (示范县): a realistic, deterministic county to try Doorstep on.

``generate_demo(db, households, seed)`` fills an empty database through the unit of work; the
same seed always gives the same households, members, ID numbers and row ids. About 4% of the
households carry a deliberate data problem, listed in ``DemoSummary.planted`` by check rule code.
"""

from desktop.core.demo.generator import DemoCancelled, DemoSummary, generate_demo
from desktop.core.demo.problems import PlantedProblem

__all__ = ["DemoCancelled", "DemoSummary", "PlantedProblem", "generate_demo"]
