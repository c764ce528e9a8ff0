# Reminder rows arrive with the "Reminders" issue.
