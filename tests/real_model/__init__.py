"""The real-model tier: Debian's llama-server with a small GGUF model."""
