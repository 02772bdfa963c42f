"""insiderbench: stress-test LLM agents for agentic misalignment, on Inspect."""

__version__ = "0.1.0"
