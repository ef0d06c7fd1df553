"""Sub-commands of the ``aimarket`` CLI, one module each (see ``aimarket.cli``)."""
