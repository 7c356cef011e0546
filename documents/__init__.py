"""The files people keep: spreadsheets (xlsx, csv), Word documents, printable HTML and report
text. Each document is a function of plain data from core to bytes or text; admin and the CLI
both call them. Imports core only."""
