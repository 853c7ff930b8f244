"""Ad audiences: who may be shown ads about similar projects, exported per platform."""
