"""Opening hours, holidays, overrides, the duty rota and the jobs that act on them."""
