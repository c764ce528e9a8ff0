# Weekly hours, courses, sessions and groups arrive with the "Booking" issue.
