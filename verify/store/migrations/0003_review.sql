-- Review workflow: the history of a claim includes its article's events (ingest), so
-- events need an index by article.
CREATE INDEX IF NOT EXISTS events_article ON events(article_id, id) WHERE article_id IS NOT NULL;
