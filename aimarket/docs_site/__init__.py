"""The documentation site, generated from the spec, the proof report and the vectors.

``aimarket docs`` runs :func:`aimarket.docs_site.site.build_site`: it writes Markdown
pages, Graphviz diagrams and matplotlib plots into a build directory (``build/docs-src``,
never committed), copies the hand-written pages of ``docs/`` beside them, writes a
MkDocs configuration with the navigation (``build/mkdocs.yml``, which inherits the
repository's ``mkdocs.yml``) and runs ``mkdocs build --strict`` into ``site/``.

Nothing on a generated page is typed in by hand: tables, diagrams and results are read
from ``spec/`` (objects, docstrings and explorations of the state machine), the reference
chaincode's function table, the proof report, the vector manifest and the benchmark
results. An input that is missing is reported on its page as missing.
"""
