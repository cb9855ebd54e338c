"""The first flow: from an assignment and a roster to each student's notebook, handout and the class's key."""
