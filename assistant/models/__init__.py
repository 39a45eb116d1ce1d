"""Offline provisioning of the embedding model and the GGUF language models."""
