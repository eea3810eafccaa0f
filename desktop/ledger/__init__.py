"""Printed documents (reportlab, no Qt): the household ledger, village books, public notices
and the village summary.

Entry points for the app and the command line (import the module you need; this package
imports nothing itself so ``doorstep`` starts fast):

- ``village_ledger.print_household(db, H, out, photo_loader=None)``
- ``village_ledger.print_village(db, V, out, per_household_dir=False, photo_loader=None,
  progress=None, cancel=None) -> PrintResult`` (``progress(done, total, label)``; ``cancel()``
  returns True to stop; a cancelled book leaves no file, a cancelled folder keeps what is done)
- ``notice_printing.print_notice(db, V, kind, out, start=None, end=None, posted=None, days=None)``
  with ``kind`` one of entry, exit, monitoring, funds
- ``summary.print_summary(db, V, out)``

H is a 户编号 or UUID, V a 12-digit village code or name. Errors are ``errors.LedgerError``
with one sentence in the interface language. ``photo_loader(sha256) -> path | None`` finds a
photo's file; by default photos are looked up in ``photos/`` next to the database.
"""
