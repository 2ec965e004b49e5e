"""Everything a reader sees (报告): charts, plotting set-up, Excel, HTML fragments, notebook rendering, index."""
