"""Configuration that is data: force names, the vocabulary of the files, the KPI registry.

Each file is YAML in this folder, read and validated once (analysts edit ``kpis.yaml`` or pass
their own with ``--registry``); code reads the loaded objects, never constants of its own.
"""

from .forces import ForceNames, force_names, name_key
from .registry import ASSIGNED, BreakdownSettings, Kpi, Registry, Source, load_registry
from .vocabulary import Vocabulary, vocabulary

__all__ = [
    "ASSIGNED", "BreakdownSettings", "ForceNames", "Kpi", "Registry", "Source", "Vocabulary",
    "force_names", "load_registry", "name_key", "vocabulary",
]
