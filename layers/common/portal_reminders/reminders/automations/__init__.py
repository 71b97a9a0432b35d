"""Pipeline automations (R8): a job entering a stage creates and sends the stage's items."""
