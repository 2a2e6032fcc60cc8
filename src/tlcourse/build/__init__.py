"""The instructors' and developers' side: what builds, measures and ships the course.

Training and exporting the course backbone and its model card (:mod:`.backbone`), the
baselines and learning curves recomputed into ``data/results/`` (:mod:`.transfer_baselines`,
:mod:`.curves_sweep`, :mod:`.finetune_study`), benchmarks (:mod:`.bench`, :mod:`.synthetic`),
the classroom TF Hub server (:mod:`.hub_server`), the student kit (:mod:`.kit`) and the
solutions -> notebooks sync (:mod:`.release_sync`). Reached through ``python -m tlcourse``;
the course side never imports it (``tests/test_import_graph.py``).
"""
