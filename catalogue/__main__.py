"""`python -m catalogue`: validate the catalogue and print its control table (Markdown)."""

from catalogue import load_catalogue, markdown_table

print(markdown_table(load_catalogue()), end="")
