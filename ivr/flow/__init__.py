"""Call flows: the model of ``dialplans/*.yaml`` (``model``), reading and checking the files
(``loader``), business hours (``hours``), and the engine that walks a caller through a flow
(``engine``), with the set of flows in force (``store``)."""
