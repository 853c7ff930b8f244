"""The objection register: who objected to what, held only as keyed hashes of identifiers."""
