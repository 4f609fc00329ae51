"""Languages, their texts and the fonts that can draw them.

`corpus` holds the bundled UDHR texts (parallel across ~530 languages) and user texts;
`registry.FontRegistry` turns the installed fonts into per-language font chains and splits text
into runs a single font can draw; `doctor` checks the machine (raqm shaping, fonts, Tesseract).
"""
