package main

// dunningHelp is the help of --dunning-levels.
const dunningHelp = "action types of the ERP's dunning levels 1, 2, ... (read with --columns invoices.dunning_level=<header>,\n" +
	"invoices.last_dunning_date=<header>), e.g. reminder,final_notice,collection_agency; default: the scenario's steps\n" +
	"after the due date, in order (built-in: 1=reminder, 2=call, 3=final_notice, 4=collection_agency)"
