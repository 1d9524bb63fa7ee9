"""`python -m catalogue`: validate the catalogue and print the README's generated block (Markdown): the framework
coverage summary and the control table."""

from catalogue import load_catalogue, readme_section

print(readme_section(load_catalogue()), end="")
