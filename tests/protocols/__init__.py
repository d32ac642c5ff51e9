"""Wire protocols of the loopback LLM server, one module each."""
