"""Pure text work, no database and no network: readable text out of bytes (extract), sentence
splitting and check-worthiness (checkworthy, with its shipped weights), numbers read as
quantities and clashes (quantities), lemmas and aliases, the match keys of "checked before"
(matchkeys), and strict quote matching (quotes)."""
