"""Movement traces and close contacts of a person, from the entries."""
