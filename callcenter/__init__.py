"""The live call path: the AMI codec and client, the simulated Asterisk, the call tracker."""
