"""Web archives: finding a gone source's mementos (mementos, recover), asking Save Page Now to
archive live sources (save), and the link-rot watch (watch)."""
