"""crmlab."""
