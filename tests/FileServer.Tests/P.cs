namespace FileServer.Tests; public class P {}
