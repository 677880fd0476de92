"""Sample article and source pages for `verify demo`."""
