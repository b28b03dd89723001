"""The monitoring cycle around the questionnaires: campaigns and their outbox, completion, the calendar of the
school year, deputies chasing their teachers, questionnaires returned for correction."""
