"""Vectors only: text encoders and FAISS indexes over integer ids. Knows nothing of articles."""
