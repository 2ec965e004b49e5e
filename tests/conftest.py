import sys
from pathlib import Path

# tests/ holds small factories (rawfactory) imported by several test modules.
sys.path.insert(0, str(Path(__file__).parent))
