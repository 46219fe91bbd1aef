"""Evidence: photos and files attached to any record (an inspection, a rectification, a
disinfection, a declaration), checked by content, images re-encoded without their metadata,
and served only to users who may see the record."""
