"""Inputs and files (数据): the input contract, reading, validation, cleaning, templates, the sample county and
the catalog of every dataset a step reads or writes."""
