"""A county folder and enrolled laptops, built through the same functions the commands use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from county.data import County
from county.enrollment import enroll
from county.exchange import apply_bundles, write_outboxes
from desktop.core.database import Database, open_database
from desktop.sync import keys as keyring
from desktop.sync.exchange import ImportReport, export_bundles, import_bundles
from tests.sync.replicas import VILLAGE, seed_regions


@dataclass
class Network:
    root: Path
    county: County
    laptops: dict[str, Database] = field(default_factory=dict)

    def laptop(self, name: str, villages: tuple[str, ...] = (VILLAGE,)) -> Database:
        db = open_database(self.root / f"{name}.db")
        request = keyring.enrollment_request(db, f"干部{name}")
        keyring.accept_certificate(db, enroll(self.county, request, list(villages)))
        self.laptops[name] = db
        return db

    def export(self, name: str) -> list[Path]:
        """The laptop's new bundle (if any) as a file in its outbox."""
        report = export_bundles(self.laptops[name])
        return [report.new_bundle.path] if report.new_bundle else []

    def apply(self, files: list[Path]) -> ImportReport:
        return apply_bundles(self.county, files)

    def outbox(self) -> dict[str, list[Path]]:
        written = write_outboxes(self.county, self.root / "down")
        found: dict[str, list[Path]] = {}
        for bundle in written:
            found.setdefault(bundle.manifest["to"], []).append(bundle.path)
        return found

    def deliver(self, name: str) -> ImportReport:
        db = self.laptops[name]
        files = sorted((self.root / "down" / db.device_id).glob("*.dsb"))
        return import_bundles(db, files)

    def close(self) -> None:
        for db in self.laptops.values():
            db.close()
        self.county.close()


def make_network(root: Path, seed: bool = True, url: str | None = None) -> Network:
    """A new county folder (its store on ``url``, by default the SQLite file in the folder)."""
    county = County.init(root / "county", url=url)
    if seed:
        with county.authoring() as db, db.unit_of_work(cadre="县里") as uow:
            seed_regions(uow)
    return Network(root, county)


def reopen_network(root: Path, names: tuple[str, ...] = ("A", "B")) -> Network:
    network = Network(root, County.open(root / "county"))
    for name in names:
        network.laptops[name] = open_database(root / f"{name}.db")
    return network
