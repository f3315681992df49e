"""Clock, calendars, ids, money and the error tree: what every other package stands on."""
