"""Loading, chunking, embedding and storing articles."""
