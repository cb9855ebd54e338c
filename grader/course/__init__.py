"""What a course is made of, shared by generation and grading: the assignment file, the roster, the course secret, each student's variants, and the JSON conventions."""
