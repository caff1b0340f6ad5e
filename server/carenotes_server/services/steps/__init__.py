"""Steps, by job: queries (the statements), read (the steps in force and a note's
steps, one view builder), apply (a note's steps put in force), preview (what a note
would change). `Steps` holds one of each for wiring; build it with `build_steps`
(imported from services.steps.wiring, which needs the reminders package)."""
