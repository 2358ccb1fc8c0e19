"""Journeys: workflow automation on the event log (see ``journey_models`` for the models).

``definition`` validates and writes steps, ``triggers`` finds who enters, ``engine`` walks
runs one step at a time, ``services`` changes journeys, ``library`` holds ready templates."""
