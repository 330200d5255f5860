"""Question answering over news archives: ingest, index, retrieve, answer with citations."""
