"""The stages behind build.py: the catalogue model, the editors' review tools, the importer, the
site, and the synthetic catalogue of the benchmarks."""
