"""Evaluation (评估计算): DataFrames and a standards profile in, DataFrames out. No paths, figures or HTML."""
