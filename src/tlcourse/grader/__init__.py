"""Everything about grading: nbgrader plugins, the sandbox, judges and class grading.

Two of its modules run inside a submission's kernel and are staged into the sandbox:
:mod:`.evidence` (the probes' inert evidence) and :mod:`.hidden_test_helpers`. The rest
never does. No module here imports TensorFlow at import time (the judges import it when
they judge), and the course side never imports this package (``tests/test_import_graph.py``).
"""
