"""Rules about what the data may contain: ID numbers, field formats, and (later) data checks,
eligibility, scoring and income. Pure functions, no database, no Qt, so they run the same on
save, in bulk checks and on the county server."""
