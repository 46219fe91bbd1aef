"""Resident passes: signed QR codes, their keys, issuing, printing and revoking."""
