"""The alarm path challenge: test messages through the routes, confirmed through a link
in each, and a reminder when a test is due (docs/alerts.md, "Testing the alarm paths")."""
