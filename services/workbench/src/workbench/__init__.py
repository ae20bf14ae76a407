"""xietong 工作台: the staff workbench, a client of the services' public REST APIs."""
