"""Print preview and printing of the ledger's PDFs (household ledgers, village books, notices)."""
