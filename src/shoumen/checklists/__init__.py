"""Checklists: templates of items (yes / no / not applicable, a number within limits, a choice,
a note, a photo when an item fails), versioned so that a record keeps the version it was made
with. Inspections, disinfection patrols, resumption's on-site review and a project's readiness
all fill checklists from here."""
